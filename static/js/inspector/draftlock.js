// One tab edits a draft at a time. Each tab saves its whole in-memory draft, so two tabs on
// one draft would silently overwrite each other's answers (issue 14). The editing tab holds a
// Web Lock named after the draft; another tab is told and may ask to take over, and the
// holder then finishes its last write, stops editing and lets go. Browsers without Web Locks
// keep the old behaviour.

const channel = 'BroadcastChannel' in window ? new BroadcastChannel('inspect-draft-edit') : null;
const lockName = (id) => `inspect-draft-${id}`;
let held = null; // {id, release, lost}

channel?.addEventListener('message', async ({ data }) => {
  if (data?.type !== 'release' || held?.id !== data.id) return;
  const { release, lost } = held;
  held = null;
  try {
    await lost(); // the last write lands before the other tab reads the draft
  } finally {
    release();
  }
});

function hold(id, lost) {
  return new Promise((release) => { held = { id, release, lost }; });
}

export const supported = () => !!navigator.locks;

// Edit `id` here if no other tab does. `lost` runs (and is awaited) when another tab takes over.
export async function claim(id, lost) {
  if (!navigator.locks) return true;
  if (held?.id === id) return true;
  if (held) {
    held.release();
    held = null;
  }
  return new Promise((resolve) => {
    navigator.locks.request(lockName(id), { ifAvailable: true }, (lock) => {
      resolve(!!lock);
      return lock ? hold(id, lost) : null;
    });
  });
}

// Ask the editing tab to let go, and resolve once this tab holds the draft.
export function takeOver(id, lost) {
  return new Promise((resolve) => {
    navigator.locks.request(lockName(id), (lock) => {
      resolve();
      return hold(id, lost);
    });
    channel?.postMessage({ type: 'release', id });
  });
}
