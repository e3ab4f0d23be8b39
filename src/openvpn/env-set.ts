// A model of OpenVPN's private env_set (env_set.c): newest-set first, set() moves a name to the front, inheritance reverses order.

/**
 * setenv_str's name filter: keep only [A-Za-z0-9_] (string_mod with CC_NAME and no replacement char deletes the rest).
 */
export function sanitizeEnvName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '');
}

/**
 * setenv_str's value filter: delete non-printable characters. OpenVPN's CC_PRINT is "byte >= 32 and not 127", so
 * UTF-8 (bytes >= 0x80) passes through; in a JS string that means removing code units below 32 and DEL (127).
 */
export function sanitizeEnvValue(value: string): string {
  return value.replace(/[\x00-\x1f\x7f]/g, '');
}

/**
 * string_mod(str, CC_PRINT, CC_CRLF, '_'): replace (not delete) non-printable characters, CR and LF by '_'.
 * OpenVPN uses it for usernames, passwords, X509 field values and the subject line.
 */
export function replaceNonPrintable(value: string, replacement = '_'): string {
  return value.replace(/[\x00-\x1f\x7f]/g, replacement);
}

/** Name part of a "NAME=value" envp string (up to the first '='), as env_set.c compares entries. */
function nameOf(envString: string): string {
  const i = envString.indexOf('=');
  return i < 0 ? envString : envString.slice(0, i);
}

/**
 * OpenVPN's env_set: a list whose head is the most recently set variable. The envp handed to a plugin is the list
 * from head to tail, so a plugin sees the newest variables first.
 */
export class EnvSet implements Iterable<[string, string]> {
  /** Entries in envp order: index 0 is the list head (the newest). */
  private items: Array<[string, string]> = [];

  /** A set holding `entries` in exactly this envp order (no sanitising, no reordering). */
  constructor(entries?: Iterable<readonly [string, string]>) {
    if (entries) for (const [name, value] of entries) this.items.push([name, value]);
  }

  /** Parse an envp array ("NAME=value" strings, newest first) into a set with the same order. */
  static fromEnvp(envp: readonly string[]): EnvSet {
    return new EnvSet(envp.map((s) => [nameOf(s), s.includes('=') ? s.slice(s.indexOf('=') + 1) : ''] as [string, string]));
  }

  /**
   * env_set_inherit: a new set built by adding every entry of `source` in its envp order, each one prepended.
   * The result is therefore in REVERSE order of the source. This is how a client instance gets its copy of the
   * server's env (and how the server instance got its copy of the top-level env).
   */
  static inherit(source: EnvSet): EnvSet {
    const out = new EnvSet();
    for (const [name, value] of source.items) out.setRaw(name, value);
    return out;
  }

  /**
   * setenv_str: set `name` to `value` the way OpenVPN's own code does: the name is reduced to [A-Za-z0-9_], the
   * value loses non-printable characters, the old entry (if any) is removed and the new one goes to the front.
   * A null/undefined value deletes the variable (setenv_str with NULL value).
   */
  set(name: string, value: string | number | bigint | null | undefined): this {
    if (name.length < 2) throw new RangeError(`env name '${name}' is too short (OpenVPN asserts strlen(name) > 1)`);
    const cleanName = sanitizeEnvName(name);
    if (value === null || value === undefined) {
      this.unset(cleanName);
      return this;
    }
    return this.setRaw(cleanName, sanitizeEnvValue(String(value)));
  }

  /**
   * env_set_add: put NAME=value at the front, replacing any entry of that name, with no sanitising at all.
   * Used for user overrides (--env on the command line) and for peer-info lines, which OpenVPN adds verbatim.
   */
  setRaw(name: string, value: string): this {
    if (name.length === 0 || name.includes('=')) throw new TypeError(`invalid env name '${name}'`);
    this.remove(name);
    this.items.unshift([name, value]);
    return this;
  }

  /**
   * A user override (--env NAME=VALUE): an existing NAME keeps its position with the new value, a new NAME is
   * added at the front (newest first). No sanitising: user values pass through unchanged.
   */
  override(name: string, value: string): this {
    const i = this.items.findIndex(([n]) => n === name);
    if (i < 0) return this.setRaw(name, value);
    this.items[i] = [name, value];
    return this;
  }

  /**
   * setenv_str_incr: set `name`, or `name_1`, `name_2`, ... (the first that is not yet set, up to _999).
   * Returns the name actually used, or undefined when all 1000 are taken (OpenVPN then ignores the value).
   */
  setIncr(name: string, value: string): string | undefined {
    let candidate = name;
    let counter = 1;
    // env_set_get compares the name as given (unsanitised), exactly like OpenVPN.
    while (this.has(candidate) && counter < 1000) {
      candidate = `${name}_${counter}`;
      counter++;
    }
    if (counter >= 1000) return undefined;
    this.set(candidate, value);
    return sanitizeEnvName(candidate);
  }

  /** env_set_del: remove `name`. Returns whether it was present. */
  unset(name: string): boolean {
    return this.remove(name);
  }

  /** Remove every variable whose name satisfies `predicate` (e.g. tls_x509_clear_env removes X509_*). */
  unsetWhere(predicate: (name: string) => boolean): number {
    const before = this.items.length;
    this.items = this.items.filter(([name]) => !predicate(name));
    return before - this.items.length;
  }

  get(name: string): string | undefined {
    return this.items.find(([n]) => n === name)?.[1];
  }

  has(name: string): boolean {
    return this.items.some(([n]) => n === name);
  }

  get size(): number {
    return this.items.length;
  }

  /** Variable names in envp order. */
  keys(): string[] {
    return this.items.map(([n]) => n);
  }

  /** [name, value] pairs in envp order (newest first); a copy. */
  entries(): Array<[string, string]> {
    return this.items.map(([n, v]) => [n, v]);
  }

  /** The envp strings a plugin receives, in order: "NAME=value". */
  toEnvp(): string[] {
    return this.items.map(([n, v]) => `${n}=${v}`);
  }

  /** An independent copy in the SAME order (unlike inherit()). */
  clone(): EnvSet {
    return new EnvSet(this.items);
  }

  /** Plain object view (for logs and JSON); order is envp order. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.items);
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.entries()[Symbol.iterator]();
  }

  private remove(name: string): boolean {
    const i = this.items.findIndex(([n]) => n === name);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }
}
