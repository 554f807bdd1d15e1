// Offline check of a KServe InferenceService (serving.kserve.io/v1beta1). KServe publishes no npm models
// package and its CRD leaves `spec` open (x-kubernetes-preserve-unknown-fields), so nothing would catch a
// misspelt field: this is a strict JSON schema subset for exactly the fields modelrepo emits, checked with
// ajv, and the Kubernetes parts embedded in it (containers, pod security context, volumes, tolerations)
// go through kubernetes-models and the client-node unknown-field walk like any Pod.
import Ajv from 'ajv';
import { Container } from 'kubernetes-models/v1/Container';
import { PodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import { Toleration } from 'kubernetes-models/v1/Toleration';
import { Volume } from 'kubernetes-models/v1/Volume';
import { unknownFieldsAs } from './k8sChecks';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ModelClass = new (o: any) => { validate(): void }; // eslint-disable-line @typescript-eslint/no-explicit-any

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const objects = { type: 'array', items: { type: 'object' } };
// KServe names become Service and host names: RFC 1035 labels (start with a letter).
const DNS1035 = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

export const INFERENCE_SERVICE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'serving.kserve.io/v1beta1' },
    kind: { const: 'InferenceService' },
    metadata: {
      type: 'object', additionalProperties: false, required: ['name'],
      properties: { name: { type: 'string', pattern: DNS1035, maxLength: 63 }, namespace: { type: 'string' }, labels: stringMap, annotations: stringMap },
    },
    spec: {
      type: 'object', additionalProperties: false, required: ['predictor'],
      properties: {
        predictor: {
          type: 'object', additionalProperties: false, required: ['serviceAccountName'],
          oneOf: [{ required: ['model'] }, { required: ['containers'] }],
          properties: {
            serviceAccountName: { type: 'string', minLength: 1 },
            automountServiceAccountToken: { type: 'boolean' },
            minReplicas: { type: 'integer', minimum: 0 },
            securityContext: { type: 'object' },
            tolerations: objects,
            volumes: objects,
            model: {
              type: 'object', additionalProperties: false, required: ['modelFormat', 'storageUri'],
              properties: {
                modelFormat: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { enum: ['huggingface'] } } },
                storageUri: { type: 'string', pattern: '^s3://[a-z0-9][a-z0-9.-]*/.+/$' },
                args: { type: 'array', items: { type: 'string' } },
                env: objects, resources: { type: 'object' }, securityContext: { type: 'object' }, volumeMounts: objects,
              },
            },
            containers: {
              type: 'array', minItems: 1, maxItems: 1,
              items: {
                type: 'object', required: ['name', 'image', 'env'],
                properties: {
                  // KServe finds the model server (and its STORAGE_URI) by this container name.
                  name: { const: 'kserve-container' },
                  env: {
                    type: 'array',
                    contains: {
                      type: 'object', required: ['name', 'value'],
                      properties: { name: { const: 'STORAGE_URI' }, value: { type: 'string', pattern: '^s3://[a-z0-9][a-z0-9.-]*/.+' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

// strictRequired off: the oneOf branches name properties defined one level up.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const validate = ajv.compile(INFERENCE_SERVICE_SCHEMA);

function modelProblems(Model: ModelClass, value: Obj, path: string): string[] {
  try {
    new Model(value).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string; message: string }[] }).errors;
    return errors ? errors.map((x) => `${path}${x.instancePath} ${x.message}`) : [`${path}: ${String(e)}`];
  }
}

/** Problems of an InferenceService: the schema subset, then the Kubernetes parts inside it. */
export function kserveProblems(obj: Obj, k8s?: Record<string, unknown>): string[] {
  if (!validate(obj)) return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  const p = obj.spec.predictor as Obj;
  const problems: string[] = [];
  const check = (Model: ModelClass, type: string, value: Obj | undefined, path: string): void => {
    if (value === undefined) return;
    problems.push(...modelProblems(Model, value, path));
    if (k8s) problems.push(...unknownFieldsAs(value, type, path, k8s));
  };
  check(PodSecurityContext, 'V1PodSecurityContext', p.securityContext, 'predictor.securityContext');
  (p.tolerations ?? []).forEach((t: Obj, i: number) => check(Toleration, 'V1Toleration', t, `predictor.tolerations[${i}]`));
  (p.volumes ?? []).forEach((v: Obj, i: number) => check(Volume, 'V1Volume', v, `predictor.volumes[${i}]`));
  (p.containers ?? []).forEach((c: Obj, i: number) => check(Container, 'V1Container', c, `predictor.containers[${i}]`));
  if (p.model) {
    // The model's container fields merge into the runtime's kserve-container: check them as a Container.
    const { modelFormat: _f, storageUri: _u, ...fields } = p.model;
    check(Container, 'V1Container', { name: 'kserve-container', ...fields }, 'predictor.model');
  }
  return problems;
}
