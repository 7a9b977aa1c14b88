// Placeholders for RPCs whose handlers are being written: a clear `unimplemented`, never a 500.
import { SignetError } from '../domain/errors.js';

export const unbuilt = (rpc: string) => async (): Promise<never> => {
  throw new SignetError('method_not_allowed', `unbuilt_${rpc}`);
};
