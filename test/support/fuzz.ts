/**
 * The seed of the property tests: fixed in CI (so a CI run can be repeated exactly), random
 * elsewhere (so local runs keep exploring), always printed, and `FUZZ_SEED=<n>` repeats any run.
 */
const CI_SEED = 20261203;

const fromEnv = process.env.FUZZ_SEED;
export const FUZZ_SEED = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : process.env.CI ? CI_SEED : Date.now() % 2 ** 31;

let announced = false;

/** fast-check parameters with the run's seed; the first call prints it. */
export function seeded(numRuns: number): { seed: number; numRuns: number } {
  if (!announced) {
    announced = true;
    console.log(`      fast-check seed ${FUZZ_SEED} (FUZZ_SEED=${FUZZ_SEED} repeats this run)`);
  }
  return { seed: FUZZ_SEED, numRuns };
}
