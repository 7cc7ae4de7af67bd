/** Where a rule's semantics come from. */
export interface RuleSource {
  /**
   * changelog: an entry of the seed changelog (ref names the commit title and quotes its first
   * words); man: a man page; doc: a file under Documentation/; source: a kernel function.
   */
  readonly kind: 'changelog' | 'man' | 'doc' | 'source';
  readonly ref: string;
}

/** One checkable sentence of semantics, with a stable id. */
export interface Rule {
  /** Stable id: `<subsystem>.<area>.<behaviour>`. Never reuse an id for another meaning. */
  readonly id: string;
  readonly subsystem: string;
  /** One sentence. */
  readonly text: string;
  readonly source: RuleSource;
  /** An optional part of the contract: "not provided" when the implementation lacks it. */
  readonly optional?: string;
}
