// Read-only markdown documents the extension makes (version details, model cards read from storage),
// served by a TextDocumentContentProvider under the `modelrepo-doc` scheme and shown with VS Code's own
// markdown preview. Nothing is written to disk; showing a document again updates its preview.
import * as vscode from 'vscode';

export const DOC_SCHEME = 'modelrepo-doc';
const KEEP = 50;

export interface ShownDocument {
  readonly uri: vscode.Uri;
  readonly text: string;
  /** False when no markdown preview could be opened (the text editor shows the document instead). */
  readonly preview: boolean;
}

export class MarkdownDocs implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, this);
  }

  /** A document URI: `modelrepo-doc:/<title parts...>.md`, with `key` keeping same-named ones apart. */
  uri(parts: readonly string[], key: string): vscode.Uri {
    const p = parts.map((x) => encodeURIComponent(x)).join('/');
    return vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${p}`, query: encodeURIComponent(key) });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Stores the text under the URI and opens the markdown preview of it. */
  async show(uri: vscode.Uri, text: string, opts: { readonly open?: boolean } = {}): Promise<ShownDocument> {
    const k = uri.toString();
    this.texts.delete(k);
    this.texts.set(k, text);
    while (this.texts.size > KEEP) this.texts.delete(this.texts.keys().next().value as string);
    this.changed.fire(uri);
    if (opts.open === false) return { uri, text, preview: false };
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
      return { uri, text, preview: true };
    } catch {
      // the built-in markdown extension is disabled: the source is still readable
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
      return { uri, text, preview: false };
    }
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
    this.texts.clear();
  }
}
