/** The demo's containment-watch.yaml: one Defender for Endpoint source, served by the loopback fake. */
export function demoConfigYaml(mdeUrl: string): string {
  return `# Written by npm run demo: the same file a production install keeps, pointed at the loopback fake.
sources:
  - id: mde-demo
    type: mde
    base_url: ${mdeUrl}
    token_url: ${mdeUrl}
    tenant_id: demo-tenant
    client_id: demo-client
    client_secret: \${DEMO_MDE_CLIENT_SECRET}
    lookback: 15s
defaults:
  duration: 24h
  poll_interval: 60s
  baseline: 7d
networks:
  internal: [10.20.0.0/16]
  resolvers: [10.20.0.53]
`;
}
