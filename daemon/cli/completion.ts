/**
 * `lvslab completion bash`: a bash completion script made from the command line's own table (each
 * command and its flags, as program.ts declares them), so it cannot drift from the parser. Words after
 * the command complete as its flags (after a "-") or as file names (the lab file). Pure.
 */

/** One command and the long flags it takes. */
export interface CompletionEntry {
  readonly name: string;
  readonly flags: readonly string[];
}

const word = (w: string): string => {
  if (!/^[a-z0-9-]+$/.test(w)) throw new Error(`completion: ${JSON.stringify(w)} is not a plain word`);
  return w;
};

export function bashCompletion(program: string, commands: readonly CompletionEntry[], programFlags: readonly string[]): string {
  const fn = `_${word(program)}_complete`;
  const cases = commands.map((c) => `    ${word(c.name)}) flags="${c.flags.map(word).join(' ')}" ;;`);
  return `# bash completion for ${program}: source this file, or save it as /etc/bash_completion.d/${program}
# (made by \`${program} completion bash\` from the command line's own table)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} flags=""
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "${[...commands.map((c) => c.name), ...programFlags].map(word).join(' ')}" -- "$cur")
    return 0
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
    *) return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -o filenames -F ${fn} ${program}
`;
}
