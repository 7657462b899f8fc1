/**
 * The sources' `max_line_length` option, as a config schema. Kept apart from the line reader
 * (lines.ts) so that what only reads lines, `mamoru logtest`, does not load zod at start-up.
 */
import { z } from 'zod';
import { MAX_LINE_LENGTH } from './lines.ts';

/** A source's `max_line_length` option (the file and journald sources say what a unit is). */
export const maxLineLengthOption = (description: string) => z.number().int().min(256).max(1024 * 1024).default(MAX_LINE_LENGTH).meta({ description });
