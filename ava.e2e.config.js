// End-to-end tests: root, the real tools, a kernel with IPVS (scripts/test.sh runs them in the micro-VM
// when this kernel has none). One file at a time: they share the kernel's network namespaces.
export default {
  files: ['dist/test/e2e/**/*.test.js'],
  concurrency: 1,
  serial: true,
  timeout: '10m',
};
