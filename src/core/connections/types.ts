import type { Timeouts } from '../timeouts';

// Connection settings: what is needed to open a repository. Secrets are carried only in memory
// (from SecretStorage, the environment, ~/.mc/config.json or ~/.aws/credentials) and never logged.

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3ConnectionConfig {
  readonly kind: 's3';
  /** e.g. http://127.0.0.1:7480 or https://minio.example.com; undefined = AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Path-style addressing (MinIO, Ceph); default true when an endpoint is set. */
  readonly forcePathStyle?: boolean;
  readonly bucket: string;
  /** Repository root inside the bucket, without leading or trailing '/'. */
  readonly prefix?: string;
  /** Explicit keys; when absent the AWS default chain (env, profile) is used. */
  readonly credentials?: S3Credentials;
  /** AWS profile name for the default chain. */
  readonly profile?: string;
  /** Deadlines of the connection's requests; unset fields come from the environment or the defaults. */
  readonly timeouts?: Partial<Timeouts>;
  /** A PEM file of extra CA certificates to trust for an https endpoint (a private or self-signed
   *  CA); when unset, the AWS_CA_BUNDLE environment variable is used. Not a secret. */
  readonly caBundle?: string;
  /** The endpoint pods in the cluster use (`http://minio.model-storage:9000`) when it differs from
   *  `endpoint` (a port-forward, a laptop address); see clusterEndpoint.ts. */
  readonly clusterEndpoint?: string;
}

export interface FsConnectionConfig {
  readonly kind: 'fs';
  /** Absolute path of the repository folder (a local folder or an NFS/CephFS mount). */
  readonly path: string;
  /** How a Pod reaches the same folder (for manifests): NFS server and exported path. */
  readonly nfs?: { readonly server: string; readonly path: string };
}

export type ConnectionConfig = S3ConnectionConfig | FsConnectionConfig;
