// Runs kubectl in a terminal of its own: a Pseudoterminal that spawns the process (no shell) and feeds
// it the YAML on stdin, so the YAML (which may hold keys) never touches the disk and nothing is typed
// into a terminal the user works in. The terminal shows kubectl's output and its exit status; once
// kubectl has ended any key closes it, and Ctrl+C while it runs stops kubectl.
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';

export interface KubectlExit {
  /** kubectl's exit code; null when it did not start, was stopped by a signal or the terminal closed. */
  readonly code: number | null;
  /** Why kubectl did not run or did not finish (could not start, stopped, terminal closed). */
  readonly problem?: string;
  /** Everything the terminal showed (kubectl's output and the status lines). */
  readonly output: string;
}

export interface KubectlRun {
  readonly terminal: vscode.Terminal;
  readonly exit: Promise<KubectlExit>;
}

const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

class KubectlPty implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  private child: ChildProcess | undefined;
  private finished = false;
  private output = '';
  private settle: (e: KubectlExit) => void = () => undefined;
  readonly exit = new Promise<KubectlExit>((resolve) => { this.settle = resolve; });

  constructor(private readonly kubectl: string, private readonly args: readonly string[], private readonly stdin: string,
    private readonly shown: string) {}

  private write(text: string): void {
    this.output += text;
    this.written.fire(crlf(text));
  }

  private finish(code: number | null, problem?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.child = undefined;
    const status = problem ?? `kubectl exited with code ${code}`;
    this.write(`\n${code === 0 ? '' : RED}${status}${RESET}\n${DIM}Press any key to close this terminal.${RESET}\n`);
    this.settle({ code, problem, output: this.output });
  }

  open(): void {
    this.write(`${DIM}$ ${this.shown}   (the YAML is passed on stdin)${RESET}\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.kubectl, [...this.args], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    } catch (err) {
      this.finish(null, `kubectl could not start: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.write(d));
    child.stderr?.on('data', (d: string) => this.write(`${RED}${d}${RESET}`));
    child.on('error', (err: NodeJS.ErrnoException) => {
      this.finish(null, err.code === 'ENOENT'
        ? `kubectl was not found as '${this.kubectl}': install it, or set modelRepository.kubectlPath`
        : `kubectl could not start: ${err.message}`);
    });
    child.on('close', (code, signal) => this.finish(code, signal ? `kubectl was stopped (${signal})` : undefined));
    // kubectl may exit before reading everything (a bad flag): a broken pipe is not our error
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(this.stdin);
  }

  handleInput(data: string): void {
    if (this.finished) {
      this.closed.fire();
      return;
    }
    if (data === '\x03') this.child?.kill('SIGINT');
  }

  /** The user closed the terminal: a kubectl still running is stopped. */
  close(): void {
    if (!this.finished) {
      this.child?.kill('SIGTERM');
      this.finish(null, 'the terminal was closed before kubectl finished');
    }
    this.written.dispose();
    this.closed.dispose();
  }
}

/** `kubectl <args>` with `stdin` piped in, in a new terminal named `name` (shown without focus). */
export function runKubectlInTerminal(name: string, kubectl: string, args: readonly string[], stdin: string): KubectlRun {
  const shown = [kubectl, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  const pty = new KubectlPty(kubectl, args, stdin, shown);
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('run') });
  terminal.show(true);
  return { terminal, exit: pty.exit };
}
