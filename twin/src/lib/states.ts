/**
 * How a machine state is shown, after ISA-101: grey for normal operation, colour only for abnormal
 * states, and never colour alone: every state has an icon and a word. "No data" is its own look
 * (grey, hatched, icon and word), never the machine's last colour.
 */
import type { MessageKey } from './i18n/index.js';
import type { MachineState, Severity } from './api/types.js';
import type { IconName } from './components/icons.js';

/** normal: grey; info: blue (planned, attention later); warn: amber; alarm: red; off: dark; nodata: hatched */
export type Tone = 'normal' | 'info' | 'warn' | 'alarm' | 'off' | 'nodata';

export interface StateLook {
  tone: Tone;
  icon: IconName;
  word: MessageKey;
  /** true when the state asks for someone's attention (counted as "need attention") */
  abnormal: boolean;
}

export const stateLooks: Record<MachineState, StateLook> = {
  running: { tone: 'normal', icon: 'running', word: 'state.running', abnormal: false },
  idle: { tone: 'normal', icon: 'idle', word: 'state.idle', abnormal: false },
  setup: { tone: 'normal', icon: 'setup', word: 'state.setup', abnormal: false },
  off: { tone: 'off', icon: 'off', word: 'state.off', abnormal: false },
  starved: { tone: 'warn', icon: 'starved', word: 'state.starved', abnormal: true },
  blocked: { tone: 'warn', icon: 'blocked', word: 'state.blocked', abnormal: true },
  maintenance: { tone: 'info', icon: 'maintenance', word: 'state.maintenance', abnormal: true },
  fault: { tone: 'alarm', icon: 'fault', word: 'state.fault', abnormal: true },
};

export const noDataLook: StateLook = { tone: 'nodata', icon: 'nodata', word: 'state.nodata', abnormal: false };
const unknownLook: StateLook = { tone: 'nodata', icon: 'nodata', word: 'state.unknown', abnormal: false };

export function lookOf(state: string | null | undefined): StateLook {
  return (state && stateLooks[state as MachineState]) || unknownLook;
}

export const severityLooks: Record<Severity, { tone: Tone; icon: IconName; word: MessageKey }> = {
  fault: { tone: 'alarm', icon: 'fault', word: 'severity.fault' },
  warn: { tone: 'warn', icon: 'warn', word: 'severity.warn' },
  info: { tone: 'info', icon: 'info', word: 'severity.info' },
};

export function severityLook(severity: string) {
  return severityLooks[severity as Severity] ?? severityLooks.info;
}

/** The most severe of a list of alarm severities (for a machine's single alarm marker). */
export function worstSeverity(severities: readonly string[]): Severity | null {
  if (severities.includes('fault')) return 'fault';
  if (severities.includes('warn')) return 'warn';
  return severities.length ? 'info' : null;
}
