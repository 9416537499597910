import { INDEX766_EXTERNAL_COMPONENTS } from '@dossier/schemas';
import { describe, expect, it } from 'vitest';
import { COMPONENTS } from '../src/index766/components.ts';

describe('external figures the loader accepts', () => {
  it('are exactly the components whose source is external', () => {
    const external = COMPONENTS.filter((c) => c.source === 'external').map((c) => c.id);
    expect([...INDEX766_EXTERNAL_COMPONENTS].sort()).toEqual(external.sort());
  });
});
