import type { NextFunction, Request, Response } from 'express';
import { tokenMatches } from '@plant-twin/runtime';

/** HTTP Basic auth against one configured user, compared in constant time. */
export function requireBasic(user: string, password: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const h = req.headers.authorization;
    if (h?.startsWith('Basic ')) {
      const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0 && tokenMatches(decoded.slice(0, i), user) && tokenMatches(decoded.slice(i + 1), password)) return next();
    }
    res.status(401).set('WWW-Authenticate', 'Basic realm="ERP"').json({ error: 'missing or invalid credentials' });
  };
}
