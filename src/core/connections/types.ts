import type { Timeouts } from '../timeouts';

// Connection settings: what is needed to open a repository. Secrets are carried only in memory
// (from SecretStorage, the environment, ~/.mc/config.json or ~/.aws/credentials) and never logged.

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What an S3 connection is before a bucket is chosen: enough to list its buckets. */
export interface S3EndpointConfig {
  readonly kind: 's3';
  /** e.g. http://127.0.0.1:7480 or https://minio.example.com; undefined = AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Path-style addressing (MinIO, Ceph); default true when an endpoint is set. */
  readonly forcePathStyle?: boolean;
  /** Explicit keys; when absent the AWS default chain (env, profile) is used. */
  readonly credentials?: S3Credentials;
  /** AWS profile name for the default chain. */
  readonly profile?: string;
  /** Deadlines of the connection's requests; unset fields come from the environment or the defaults. */
  readonly timeouts?: Partial<Timeouts>;
  /** A PEM file of extra CA certificates to trust for an https endpoint (a private or self-signed
   *  CA); when unset, the AWS_CA_BUNDLE environment variable is used. Not a secret. */
  readonly caBundle?: string;
  /** How pods reach this storage inside the cluster, e.g. http://minio.model-storage:9000. */
  readonly clusterEndpoint?: string;
  /** Reached through a port-forward to a Service of a cluster; `endpoint` is then set when it opens. */
  readonly viaCluster?: ClusterRoute;
}

export interface S3ConnectionConfig extends S3EndpointConfig {
  readonly bucket: string;
  /** Repository root inside the bucket, without leading or trailing '/'. */
  readonly prefix?: string;
}

/** A Service of the kubeconfig's cluster that serves S3, and the Secret holding its keys. */
export interface ClusterRoute {
  readonly namespace: string;
  readonly service: string;
  /** The Service's port; default: its only port, else 9000, else the one named minio, s3, api or http. */
  readonly port?: number;
  readonly context?: string;
  readonly kubeconfig?: string;
  /** Where the keys come from when the connection carries none (the CLI reads them on every run). */
  readonly secret?: { readonly name: string; readonly userKey?: string; readonly passwordKey?: string };
}

export interface FsConnectionConfig {
  readonly kind: 'fs';
  /** Absolute path of the repository folder (a local folder or an NFS/CephFS mount). */
  readonly path: string;
  /** How a Pod reaches the same folder (for manifests): NFS server and exported path. */
  readonly nfs?: { readonly server: string; readonly path: string };
}

export type ConnectionConfig = S3ConnectionConfig | FsConnectionConfig;

/** A connection before a bucket is chosen (a backend without buckets: the connection itself). */
export type EndpointConfig = S3EndpointConfig | FsConnectionConfig;
