/**
 * The NLP libraries behind the offline rules, loaded once per process on first use:
 * wink-nlp with its English lite model (part-of-speech tags, stop words, entities) and
 * compromise (people and organisation names).
 */
import compromise from 'compromise';
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

type Wink = ReturnType<typeof winkNLP>;

let wink: Wink | undefined;

/** The wink-nlp instance; the model (≈50 ms to load) is read on the first call only. */
export function getWink(): Wink {
  wink ??= winkNLP(model);
  return wink;
}

/** A wink token: its text, part of speech and whether it is a stop word. */
export interface TaggedToken {
  text: string;
  pos: string;
  stopWord: boolean;
}

/** Tokens of `text` with their universal POS tags. */
export function tagTokens(text: string): TaggedToken[] {
  const nlp = getWink();
  const its = nlp.its;
  const doc = nlp.readDoc(text);
  const texts = doc.tokens().out(its.value) as string[];
  const pos = doc.tokens().out(its.pos) as string[];
  const stop = doc.tokens().out(its.stopWordFlag) as unknown as boolean[];
  return texts.map((t, i) => ({ text: t, pos: pos[i] ?? 'X', stopWord: Boolean(stop[i]) }));
}

/** People and organisation names compromise finds in `text`, as printed, de-duplicated. */
export function namedEntities(text: string): { people: string[]; organizations: string[] } {
  const doc = compromise(text);
  const clean = (xs: string[]) => [...new Set(xs.map((x) => x.replace(/[\s,;:.]+$/, '').trim()).filter((x) => x.length >= 3))];
  return {
    people: clean(doc.people().out('array') as string[]),
    organizations: clean(doc.organizations().out('array') as string[]),
  };
}
