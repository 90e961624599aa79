/** Types of scripts/dist.js (plain JavaScript so bin/flowgate.js can load it on any Node). */
export declare const DIST: string
export declare const STAMP: string
export declare function newestSource(root: string): number
export declare function distFresh(root: string): boolean
