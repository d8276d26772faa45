import { choosePlacement } from '../../../bench/pinning.js';

describe('bench CPU placement', () => {
  const yes = () => true;
  it('puts the gateway under test on the last CPU and everything else on the rest', () => {
    expect(choosePlacement(true, 2, yes)).toMatchObject({ gateway: '1', others: '0' });
    expect(choosePlacement(true, 8, yes)).toMatchObject({ gateway: '7', others: '0-6' });
  });
  it('does not pin when asked not to, on one CPU, or without taskset, and says why', () => {
    expect(choosePlacement(false, 2, yes)).toMatchObject({ gateway: null, others: null, description: expect.stringContaining('--no-pin') });
    expect(choosePlacement(true, 1, yes)).toMatchObject({ gateway: null, description: expect.stringContaining('one CPU') });
    expect(choosePlacement(true, 2, () => false)).toMatchObject({ gateway: null, description: expect.stringContaining('taskset') });
  });
});
