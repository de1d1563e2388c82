import type { IConstruct } from 'constructs';

const registries = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims a Kubernetes object name for one construct. Two objects of one kind
 * with one name in one namespace would overwrite each other on apply, so the
 * second claim throws at synth, naming both construct paths.
 */
export function claimName(scope: IConstruct, kind: string, namespace: string | undefined, name: string): void {
  const root = scope.node.root;
  let registry = registries.get(root);
  if (!registry) {
    registry = new Map();
    registries.set(root, registry);
  }
  const key = `${kind}/${namespace ?? ''}/${name}`;
  const owner = registry.get(key);
  if (owner !== undefined) {
    const where = namespace ? ` in namespace "${namespace}"` : '';
    throw new Error(
      `${scope.node.path}: duplicate ${kind} "${name}"${where}, already defined by ${owner}; give one of them another name`,
    );
  }
  registry.set(key, scope.node.path);
}
