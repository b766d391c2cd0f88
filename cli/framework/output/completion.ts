/**
 * Shell completion generated from the command specs: commands, each command's options, option values (stack
 * names from the Pulumi.<stack>.yaml files of the current directory, files, directories) and component ids.
 * zsh uses the same function through bashcompinit.
 */
import { COMPONENT_IDS } from "../../../catalog";
import { allOptions, type CommandSpec, type CompletionKind } from "../command";

export const SHELLS = ["bash", "zsh"] as const;

/** The bash words that complete a value of `kind` (COMPREPLY assignment). */
function reply(kind: CompletionKind | undefined, specs: readonly CommandSpec[]): string {
  switch (kind) {
    case "stacks":
      return 'COMPREPLY=($(compgen -W "$stacks" -- "$cur"))';
    case "stack-list":
      // complete the last element of a comma-separated list
      return 'local head="${cur%,*}"; [[ "$head" == "$cur" ]] && head="" || head="$head,"; COMPREPLY=($(compgen -W "$stacks" -P "$head" -- "${cur##*,}")); compopt -o nospace 2>/dev/null';
    case "components":
      return `COMPREPLY=($(compgen -W "${COMPONENT_IDS.join(" ")}" -- "$cur"))`;
    case "component=tag":
      return `COMPREPLY=($(compgen -W "${COMPONENT_IDS.map((c) => `${c}=`).join(" ")}" -- "$cur")); compopt -o nospace 2>/dev/null`;
    case "files":
      return 'COMPREPLY=($(compgen -f -- "$cur"))';
    case "dirs":
      return 'COMPREPLY=($(compgen -d -- "$cur"))';
    case "shells":
      return `COMPREPLY=($(compgen -W "${SHELLS.join(" ")}" -- "$cur"))`;
    case "commands":
      return `COMPREPLY=($(compgen -W "${specs.map((s) => s.name).join(" ")}" -- "$cur"))`;
    case undefined:
      return "COMPREPLY=()";
  }
}

function commandCase(spec: CommandSpec, specs: readonly CommandSpec[]): string {
  const options = allOptions(spec);
  const flags = Object.keys(options).map((name) => `--${name}`);
  const valued = Object.entries(options).filter(([, o]) => o.type === "string");
  const lines = [`    ${spec.name})`, `      opts="${flags.join(" ")}"`];
  if (valued.length > 0) {
    lines.push('      case "$prev" in');
    for (const [name, o] of valued) {
      lines.push(`        --${name}) ${reply(o.complete, specs)}; return 0 ;;`);
    }
    lines.push("      esac");
  }
  lines.push(`      if [[ "$cur" != -* ]]; then ${reply(spec.positionals?.complete, specs)}; [[ \${#COMPREPLY[@]} -gt 0 ]] && return 0; fi`);
  lines.push("      ;;");
  return lines.join("\n");
}

function bashFunction(specs: readonly CommandSpec[]): string {
  return `_myoci() {
  local cur prev cmd i f opts stacks=""
  [[ -n "\${ZSH_VERSION:-}" ]] && setopt localoptions nullglob
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  for f in Pulumi.*.yaml Pulumi.*.yml; do
    [[ -e "$f" ]] || continue
    f="\${f#Pulumi.}"; stacks="$stacks \${f%.*}"
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "${specs.map((s) => s.name).join(" ")} --help --version" -- "$cur"))
    return 0
  fi
  case "$cmd" in
${specs.map((s) => commandCase(s, specs)).join("\n")}
    *) return 0 ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  return 0
}
complete -F _myoci myoci
`;
}

/** The script for `shell` completing the commands of `specs` (cli/commands/specs.ts). */
export function completionScript(shell: (typeof SHELLS)[number], specs: readonly CommandSpec[]): string {
  const head = `# ${shell} completion for myoci: source <(npx myoci completion ${shell})\n`;
  return shell === "bash"
    ? `${head}${bashFunction(specs)}`
    : `${head}(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\nautoload -U +X bashcompinit && bashcompinit\n${bashFunction(specs)}`;
}
