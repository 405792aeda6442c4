/**
 * The app's clock in a test: real time plus however far the test has moved it on, so tokens minted
 * on real time stay valid while caches and cooldowns expire at once.
 */
export class TestClock {
  private offsetMs = 0;

  /** For `overrideProvider(CLOCK).useValue(...)`. */
  readonly now = (): number => Date.now() + this.offsetMs;

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
