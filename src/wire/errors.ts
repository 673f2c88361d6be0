// The one error type decoders throw: a message that names what is wrong, and the HTTP status it deserves.
export class DecodeError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}
