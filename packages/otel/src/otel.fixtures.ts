// The real OpenTelemetry SDK, set up as an application would: a Node tracer provider (its
// AsyncLocalStorage context manager and W3C propagator registered), spans kept in memory, and a
// metric reader the tests collect from.
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { HookguardInstrumentation } from './index.js';

/** A metric reader that exports nowhere: the tests call `collect()`. */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One metric point: its instrument, its attributes, and a count (a counter's sum, a histogram's count). */
export type MetricPoint = { name: string; attributes: Record<string, unknown>; value: number };

export type OtelSetup = {
  instrumentation: HookguardInstrumentation;
  exporter: InMemorySpanExporter;
  tracerProvider: NodeTracerProvider;
  /** Every metric point now, cumulative. */
  points(): Promise<MetricPoint[]>;
  /** Metric points added since `before` (a snapshot from `points()`), zero deltas left out. */
  since(before: readonly MetricPoint[]): Promise<MetricPoint[]>;
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
};

function pointsOf(metric: MetricData): MetricPoint[] {
  const name = metric.descriptor.name;
  if (metric.dataPointType === DataPointType.HISTOGRAM) return metric.dataPoints.map((point) => ({ name, attributes: { ...point.attributes }, value: point.value.count }));
  if (metric.dataPointType === DataPointType.SUM) return metric.dataPoints.map((point) => ({ name, attributes: { ...point.attributes }, value: point.value }));
  return [];
}

const identity = (point: MetricPoint): string => `${point.name} ${JSON.stringify(Object.entries(point.attributes).sort(([a], [b]) => a.localeCompare(b)))}`;

/** Registers the SDK and a HookguardInstrumentation for this test file. */
export function setUpOtel(): OtelSetup {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  tracerProvider.register();
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = new HookguardInstrumentation();
  const unregister = registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider });
  const points = async (): Promise<MetricPoint[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.flatMap(pointsOf));
  };
  return {
    instrumentation,
    exporter,
    tracerProvider,
    points,
    async since(before) {
      const earlier = new Map(before.map((point) => [identity(point), point.value]));
      return (await points()).map((point) => ({ ...point, value: point.value - (earlier.get(identity(point)) ?? 0) })).filter((point) => point.value !== 0);
    },
    spans: () => exporter.getFinishedSpans(),
    async shutdown() {
      unregister();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The sum of the points of `name` whose attributes include `attributes`. */
export function total(points: readonly MetricPoint[], name: string, attributes: Record<string, unknown> = {}): number {
  return points
    .filter((point) => point.name === name && Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + point.value, 0);
}
