/** Types for parse-prometheus-text-format 1.1 (a test-only devDependency that ships none). */
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    interface Sample {
      readonly value?: string;
      readonly labels?: Readonly<Record<string, string>>;
      readonly buckets?: Readonly<Record<string, string>>;
      readonly quantiles?: Readonly<Record<string, string>>;
      readonly count?: string;
      readonly sum?: string;
    }
    interface Family {
      readonly name: string;
      readonly help: string;
      readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
      readonly metrics: readonly Sample[];
    }
  }
  /** Throws InvalidLineError on a line it cannot read. */
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.Family[];
  export = parsePrometheusTextFormat;
}
