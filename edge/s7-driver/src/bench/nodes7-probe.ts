import NodeS7 from 'nodes7';
import { childSide } from './child.js';

/**
 * Benchmark child: nodes7 0.3.18 reading a tag map with readAllItems, to count the request PDUs its
 * own optimiser sends (the parent counts frames through a proxy). In a child process because nodes7
 * can die of an uncaught RangeError on some replies (DESIGN.md).
 */
const { arg, send } = childSide<{ port: number; addresses: string[]; polls: number }>();
const conn = new NodeS7({ silent: true });
const fail = (why: string) => {
  send({ ok: false, error: why });
  process.exit(1);
};
const timer = setTimeout(() => fail('timeout'), 20_000);
conn.initiateConnection({ host: '127.0.0.1', port: arg.port, rack: 0, slot: 1, timeout: 5000 }, (err) => {
  if (err) return fail(`connect: ${String(err)}`);
  conn.setTranslationCB((t) => t);
  conn.addItems(arg.addresses);
  send({ ready: true });
  let done = 0;
  let bad = 0;
  const next = () =>
    conn.readAllItems((anythingBad) => {
      if (anythingBad) bad++;
      if (++done < arg.polls) return next();
      clearTimeout(timer);
      send({ ok: true, polls: done, badPolls: bad });
      process.exit(0);
    });
  next();
});
