// FORBID_PENDING=1 (set by .ci/run) makes a pending test fail the run: the Chromium and pepper
// suites must run in CI, never quietly turn pending because a package is missing.
module.exports = {
  spec: ['dist/test/**/*.test.js'],
  timeout: 20000,
  exit: true,
  'forbid-pending': process.env.FORBID_PENDING === '1',
};
