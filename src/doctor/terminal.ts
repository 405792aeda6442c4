/** Where the doctor writes: the process streams in the CLI, collectors in tests. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Shows what the doctor is waiting for. Only on a terminal: in a pipe or a log it would be noise. */
export interface Progress {
  update(label: string): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(stream: OutputStream): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  let label = '';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    frame = (frame + 1) % FRAMES.length;
    // Long URLs would wrap and leave a trail of lines behind; one terminal line is enough.
    stream.write(`\r\x1b[2K${FRAMES[frame]} ${label.slice(0, 100)}`);
  };
  return {
    update(next) {
      label = next;
      draw();
      timer ??= setInterval(draw, 120).unref();
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      stream.write('\r\x1b[2K');
    },
  };
}

export interface Styles {
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi =
  (open: number, close: number) =>
  (text: string): string =>
    `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURED: Styles = {
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  red: ansi(31, 39),
  dim: ansi(2, 22),
  bold: ansi(1, 22),
};
const PLAIN: Styles = { green: String, yellow: String, red: String, dim: String, bold: String };

/**
 * Colours only for a terminal, and never when NO_COLOR is set (no-color.org) or TERM is dumb.
 * Hand-written escapes rather than util.styleText, which Node 20 before 20.12 lacks.
 */
export function stylesFor(
  stream: OutputStream,
  env: Record<string, string | undefined>,
  colourWanted: boolean,
): Styles {
  const colour = colourWanted && stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  return colour ? COLOURED : PLAIN;
}
