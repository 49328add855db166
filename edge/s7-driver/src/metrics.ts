import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { S7Poller, PollReport } from './poller.js';

/**
 * Prometheus metrics of one poller, registered on the pod's registry (createServiceApp's). Several
 * pollers may share one registry: metrics are created once and labelled by machine.
 */
function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function registerS7Metrics(registry: Registry, poller: S7Poller, machine: string): void {
  const registers = [registry];
  const duration = metric(registry, 's7_poll_duration_seconds', () => new Histogram({ name: 's7_poll_duration_seconds', help: 'S7 poll duration (all request PDUs of one poll)', labelNames: ['machine', 'class'], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }));
  const pdus = metric(registry, 's7_poll_pdus_total', () => new Counter({ name: 's7_poll_pdus_total', help: 'S7 read request PDUs sent by the poller', labelNames: ['machine'], registers }));
  const overruns = metric(registry, 's7_poll_overruns_total', () => new Counter({ name: 's7_poll_overruns_total', help: 'S7 polls that took longer than the fast poll period', labelNames: ['machine'], registers }));
  const failed = metric(registry, 's7_poll_errors_total', () => new Counter({ name: 's7_poll_errors_total', help: 'S7 polls with at least one failed item or request', labelNames: ['machine'], registers }));
  const reconnects = metric(registry, 's7_reconnects_total', () => new Counter({ name: 's7_reconnects_total', help: 'S7 connections re-established after a loss', labelNames: ['machine'], registers }));
  const connected = metric(registry, 's7_connected', () => new Gauge({ name: 's7_connected', help: '1 while the S7 connection is up', labelNames: ['machine'], registers }));
  const values = metric(registry, 's7_values_reported_total', () => new Counter({ name: 's7_values_reported_total', help: 'Tag values reported (changed, beyond deadband, or quality change)', labelNames: ['machine'], registers }));
  const labels = { machine };
  connected.set(labels, poller.connection.connected ? 1 : 0);
  let everUp = poller.connection.connected;
  poller.on('poll', (r: PollReport) => {
    duration.observe({ machine, class: r.class }, r.durationMs / 1000);
    pdus.inc(labels, r.pdus);
    if (r.overrun) overruns.inc(labels);
    if (!r.ok) failed.inc(labels);
  });
  poller.on('connection', (e: { up: boolean }) => {
    connected.set(labels, e.up ? 1 : 0);
    if (e.up && everUp) reconnects.inc(labels);
    everUp ||= e.up;
  });
  poller.on('values', (v: unknown[]) => values.inc(labels, v.length));
}
