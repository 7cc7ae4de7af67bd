/**
 * The configuration a rule holds under (RuleConfig) as the kernel takes it (createKernel's
 * `debug`) and as reports print it.
 */
import { describeDebugConfig, resolveDebugConfig, type DebugOptions } from '@mmkit/core';
import type { Rule, RuleConfig } from './types.js';

/** createKernel's `debug` for a rule configuration (undefined: 4.17's defaults). */
export function debugOptionsOf(config: RuleConfig | undefined): DebugOptions | undefined {
  if (!config) return undefined;
  return {
    ...(config.debugVm ? { vm: true } : {}),
    ...(config.slubDebug !== undefined ? { slubDebug: config.slubDebug } : {}),
    ...(config.freelistHardened ? { freelistHardened: true } : {}),
    ...(config.debugSlab ? { debugSlab: true } : {}),
  };
}

/** A configuration in words, as Linux spells it: 'CONFIG_DEBUG_VM=y slub_debug=F'; '' for the defaults. */
export function ruleConfigText(config: RuleConfig | undefined): string {
  if (!config) return '';
  return describeDebugConfig(resolveDebugConfig(debugOptionsOf(config)));
}

/**
 * The one configuration the rules of a case need together, or a string saying why there is
 * none (two rules that need different configurations cannot be checked by one kernel).
 */
export function caseConfig(ruleIds: readonly string[], rules: readonly Rule[]): RuleConfig | undefined | string {
  let config: RuleConfig | undefined;
  let from = '';
  for (const id of ruleIds) {
    const c = rules.find((r) => r.id === id)?.config;
    const key = JSON.stringify(c ?? {});
    if (from === '') {
      config = c;
      from = id;
    } else if (key !== JSON.stringify(config ?? {})) {
      return `rules '${from}' (${ruleConfigText(config) || '4.17 defaults'}) and '${id}' (${ruleConfigText(c) || '4.17 defaults'}) need different configurations`;
    }
  }
  return config;
}
