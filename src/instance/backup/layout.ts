// Where a base backup lives in barman-cloud's layout: <path>/<serverName>/base/<backupId>/.

/** The directory of all base backups of `serverName` below the destination's path. */
export function baseBackupsPrefix(destinationPrefix: string, serverName: string): string {
  return `${destinationPrefix === '' ? '' : `${destinationPrefix}/`}${serverName}/base`;
}

/** The directory of one base backup: its tars and backup.info. */
export function backupPrefix(destinationPrefix: string, serverName: string, backupId: string): string {
  return `${baseBackupsPrefix(destinationPrefix, serverName)}/${backupId}`;
}
