// Entry point of the policy pack under the Pulumi CLI (package.json "main").
//
// The CLI runs `@pulumi/pulumi/cmd/run-policy-pack`, which `require()`s this folder after
// registering ts-node 7 (CommonJS only): it cannot resolve the `.js` specifiers of this ESM
// TypeScript code base. So the entry is plain CommonJS that registers tsx's ESM loader (as
// `npm run` scripts do) and imports the TypeScript pack; run-policy-pack awaits the exported
// promise.
module.exports = (async () => {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./index.ts');
})();
