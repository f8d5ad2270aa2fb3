import type { Fact } from '../engine/types.js';

export interface UnitState {
  /** ActiveState: active, inactive, failed, activating... */
  active: string;
  /** UnitFileState: enabled, disabled, masked, static, '' when the unit does not exist. */
  enabled: string;
  loaded: boolean;
}

export function unitState(unit: string): Fact<UnitState> {
  return {
    key: `unit:${unit}`,
    argv: ['systemctl', 'show', '--property=ActiveState,UnitFileState,LoadState', '--', unit],
    parse: (r) => {
      const v = new Map(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      return { active: v.get('ActiveState') ?? '', enabled: v.get('UnitFileState') ?? '', loaded: v.get('LoadState') === 'loaded' };
    },
  };
}

/** Whether a command exists on the host's PATH. */
export function commandExists(name: string): Fact<boolean> {
  return {
    key: `command:${name}`,
    argv: ['sh', '-c', 'command -v "$1" >/dev/null', 'sh', name],
    okCodes: [0, 1, 127],
    parse: (r) => r.code === 0,
  };
}
