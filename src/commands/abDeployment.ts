// "A/B Deployment" on a model: two tags (e.g. stable and canary), each a Deployment with its replicas,
// behind one Service that spreads requests over the pods of both, so the weight of an arm is its share
// of the replicas. The result opens as YAML (placeholder keys), or is applied to the cluster with the
// connection's keys from memory (the same path as "Apply to Cluster").
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { formatChainAfterTag } from '../core/links';
import { toYaml } from '../core/manifests/toYaml';
import { asNode } from '../tree/nodes';
import type { ModelNode } from '../tree/nodes';
import { applyPlan } from './applyToCluster';
import type { AppliedPlan, ApplyArgs } from './applyToCluster';
import { wholeNumber } from './deployChoices';
import { planAb, planHeader } from './deployPlan';
import type { AbArmArgs } from './deployPlan';
import { openYaml } from './generateManifest';
import { ask } from './input';
import { cancelled, options, pickModel } from './pick';
import type { Services } from './services';

export interface AbArgs extends ApplyArgs {
  /** The arms: `[{ tag: 'stable', replicas: 3 }, { tag: 'canary', replicas: 1 }]`. */
  readonly arms?: readonly AbArmArgs[];
  /** Name of the Service (the Deployments are `<name>-<tag>`); default from the model name. */
  readonly name?: string;
  /** true: apply to the cluster instead of opening the YAML. */
  readonly apply?: boolean;
  readonly open?: boolean;
}

export interface AbResult {
  readonly yaml?: string;
  readonly document?: vscode.TextDocument;
  readonly applied?: AppliedPlan;
}

const ACTION = 'make A/B deployment for';

async function askArms(s: Services, m: ModelNode): Promise<AbArmArgs[]> {
  const tags = (await s.repos.use(m.place, ({ repo }) => repo.listTags(m.model))).filter((t) => t.resolved);
  if (tags.length < 2) throw new RepoError('NotFound', ACTION, m.model, 'an A/B pair needs two tags that resolve (e.g. stable and canary)');
  const arms: AbArmArgs[] = [];
  for (const [i, which, replicas] of [[0, 'first (e.g. stable)', '3'], [1, 'second (e.g. canary)', '1']] as const) {
    const items = tags.filter((t) => !arms.some((x) => x.tag === t.name))
      .map((t) => ({ label: `$(tag) ${t.name}`, description: t.resolved && formatChainAfterTag(t.resolved.chain), tag: t.name }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `A/B for ${m.model}: the ${which} tag`, ignoreFocusOut: true });
    if (!picked) throw cancelled(ACTION, m.model);
    const count = await ask(ACTION, { prompt: `A/B for ${m.model}: replicas for ${picked.tag} (arm ${i + 1})`, value: replicas, validateInput: wholeNumber });
    arms.push({ tag: picked.tag, replicas: Number(count) });
  }
  return arms;
}

export async function abDeployment(s: Services, node: unknown, raw: unknown): Promise<AbResult> {
  const a = options<AbArgs>(raw);
  const scripted = a.nonInteractive === true;
  const m = await pickModel(s, asNode(node), ACTION);
  const arms = a.arms ?? (scripted ? undefined : await askArms(s, m));
  if (!arms || arms.length < 2) throw new RepoError('Config', ACTION, m.model, 'give two arms: [{ tag, replicas }, { tag, replicas }]');
  let apply = a.apply === true;
  if (!scripted) {
    const how = await vscode.window.showQuickPick([
      { label: '$(file-code) Open as YAML', description: 'placeholder keys in the Secret', apply: false },
      { label: '$(cloud-upload) Apply to Cluster (Server-Side Apply)', description: "the connection's keys go to the cluster from memory", apply: true },
    ], { placeHolder: `A/B for ${m.model}: open the YAML or apply it`, ignoreFocusOut: true });
    if (!how) throw cancelled(ACTION, m.model);
    apply = how.apply;
  }
  const plan = await planAb(s, m, arms, a, {
    action: ACTION, keys: apply ? 'real' : 'placeholder', scripted, askContext: apply, ...(a.name ? { name: a.name } : {}),
  });
  if (apply) return { applied: await applyPlan(s, plan, a) };
  const yaml = [...planHeader(plan), ''].join('\n') + toYaml(plan.objects);
  s.log.info(`generated A/B deployment ${plan.title}`);
  if (a.open === false) return { yaml };
  return { yaml, document: await openYaml(yaml, plan.target.context) };
}
