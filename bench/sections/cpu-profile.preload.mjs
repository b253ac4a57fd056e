// Loaded with `node --import` into each app by setup.mjs when BENCH_SETUP_PROFILE is set (Node 20
// refuses --cpu-prof in NODE_OPTIONS, and the apps leave by re-raising SIGTERM, which skips the
// profile --cpu-prof would write at exit). Profiles from start to SIGTERM, written as
// <dir>/<app>-<pid>.cpuprofile for Chrome DevTools or the summary in setup-profile-summary.mjs.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const app = basename(dirname(dirname(process.argv[1] ?? 'app/src/x')));
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // Registered before the app's own handlers, so it runs first; the same-thread session answers synchronously.
  process.once('SIGTERM', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(`${dir}/${app}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
