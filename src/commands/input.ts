// Small dialog helpers shared by the commands: an input box and a modal confirmation that turn
// "dismissed" into a cancellation (logged, never shown as an error), and the argument that turns the
// dialogs off for callers that cannot answer them.
import * as vscode from 'vscode';
import { cancelled } from './pick';

/** For keybindings, tasks and other extensions (README, "Commands for keybindings and other
 *  extensions"): `nonInteractive: true` opens no dialog. What the command would ask for comes from the
 *  other arguments or their defaults, and its confirmation counts as given. */
export interface NonInteractive {
  readonly nonInteractive?: boolean;
}

export async function ask(action: string, opts: vscode.InputBoxOptions): Promise<string> {
  const v = await vscode.window.showInputBox({ ignoreFocusOut: true, ...opts });
  if (v === undefined) throw cancelled(action);
  return v.trim();
}

/** A modal yes/no; resolves only when the user chose `button`. */
export async function confirm(action: string, message: string, detail: string, button: string): Promise<void> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, button);
  if (choice !== button) throw cancelled(action);
}

/** Copies text to the clipboard; in a browser that refuses clipboard access the text is shown instead. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await vscode.env.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
