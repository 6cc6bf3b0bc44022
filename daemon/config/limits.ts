/**
 * The limits a lab file meets before it is parsed (README, "Lab definition", lists each). They bound
 * what a hostile file costs, not what an honest lab may describe: 10,000 virtual servers of 2 real
 * servers and 100,000 blocklist entries load in a few seconds (issue 13).
 */

/** A lab file, YAML or JSON, larger than this is refused before parsing. */
export const MAX_LAB_BYTES = 32 * 1024 * 1024;

/** An `entriesFile` larger than this is refused before reading its lines (~1.5 million addresses). */
export const MAX_ENTRIES_FILE_BYTES = 16 * 1024 * 1024;

/**
 * YAML lexer tokens (spaces and newlines count) per byte of the file: honest labs write at most
 * ~0.45 (flow style, one space after each comma), while junk that the YAML parser pays for
 * per token writes 0.66 (`&a &a …`) to 1.33 (`{a: 1}{a: 1}…`).
 */
export const MAX_YAML_TOKENS_PER_BYTE = 0.5;
/** Small files may be denser than that (a few keys): this many tokens are always allowed. */
export const YAML_TOKEN_ALLOWANCE = 10_000;
/**
 * At most this many YAML tokens in all: the parser holds ~200 bytes per token while it builds the
 * document (~700 MB here at this limit); 10,000 virtual servers × 2 and 100,000 entries in block style are 1.27
 * million. JSON (JSON.parse) has no such cost and no such limit.
 */
export const MAX_YAML_TOKENS = 2_500_000;

/**
 * JSON values (each `,` `[` `{` outside strings starts one) per byte: generated labs write under 0.1
 * (`"10.0.0.1",` is 10 bytes), junk like `{},{},…` 0.67. At the size limit that is 4.2 million.
 */
export const MAX_JSON_VALUES_PER_BYTE = 0.125;
export const JSON_VALUE_ALLOWANCE = 10_000;

const MIB = 1024 * 1024;
export const mib = (bytes: number): string => `${bytes / MIB} MiB`;

/** Problems listed for one lab; past this, one more problem says how many were left out. */
export const MAX_PROBLEMS = 1000;
