import { HookguardInstrumentation } from '@hookguard/otel';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { RequestListener } from 'node:http';

/** What the app needs from its telemetry setup: a /metrics handler and a way to flush on exit. */
export type Telemetry = {
  /** Answers a Prometheus scrape: the current metrics, in the text exposition format. */
  metrics: RequestListener;
  shutdown(): Promise<void>;
};

/**
 * Sets up the OpenTelemetry Node SDK: a tracer provider (with its AsyncLocalStorage context manager
 * and W3C propagator), a meter provider read by the Prometheus exporter, and the hookguard
 * instrumentation. Spans go to the console when `TRACES=console`.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): Telemetry {
  const tracerProvider = new NodeTracerProvider({
    spanProcessors: env['TRACES'] === 'console' ? [new SimpleSpanProcessor(new ConsoleSpanExporter())] : [],
  });
  tracerProvider.register();
  // The exporter is served from the app's own server (GET /metrics), not from a port of its own.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [prometheus] });
  registerInstrumentations({ instrumentations: [new HookguardInstrumentation()], tracerProvider, meterProvider });
  return {
    metrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
