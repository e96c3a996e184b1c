/** The demo's containment-watch.yaml: the same file a production install keeps, pointed at a loopback fake. */
export function demoConfigYaml(sourceYaml: string): string {
  return `# Written by npm run demo.
sources:
${sourceYaml}defaults:
  duration: 24h
  poll_interval: 60s
  baseline: 7d
networks:
  internal: [10.20.0.0/16]
  resolvers: [10.20.0.53]
`;
}
