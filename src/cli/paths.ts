/** Where mamoru looks for things when not told: the config file and its data directory. */
export const DEFAULT_CONFIG_FILE = process.env.MAMORU_CONFIG ?? 'mamoru.yaml';
