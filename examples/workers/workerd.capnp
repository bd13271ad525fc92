# The local server `npm start` runs: workerd serving dist/worker.js (bundled from src/worker.ts)
# on loopback, its bindings read from the environment. Deploy with wrangler.jsonc instead.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetches may reach loopback too, for a mail API running beside it.
    (name = "outbound", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "dist/worker.js")],
  compatibilityDate = "2026-07-30",
  bindings = [
    (name = "WEBHOOK_SECRET", fromEnvironment = "WEBHOOK_SECRET"),
    (name = "MAIL_API_URL", fromEnvironment = "MAIL_API_URL"),
  ],
  globalOutbound = "outbound",
);
