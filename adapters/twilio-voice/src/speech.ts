import { twilioSdk } from '@clarion/twilio-shared';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';

/**
 * What the call says, and in which language and voice. Twilio's `<Say>` needs a language it
 * supports and a voice that speaks it (a wrong pair fails the call), so the adapter maps the
 * message's locale onto one of Twilio's language codes and, unless configured otherwise, picks
 * the Google standard voice Twilio offers for it.
 */

/** Twilio `<Say>` languages that have a `Google.<language>-Standard-A` voice (twilio SDK 6 SayLanguage/SayVoice). */
export const SAY_LANGUAGES: ReadonlySet<string> = new Set([
  'af-ZA', 'am-ET', 'ar-XA', 'bg-BG', 'bn-IN', 'ca-ES', 'cmn-CN', 'cmn-TW', 'cs-CZ', 'da-DK', 'de-DE', 'el-GR', 'en-AU', 'en-GB',
  'en-IN', 'en-US', 'es-ES', 'es-US', 'fi-FI', 'fil-PH', 'fr-CA', 'fr-FR', 'gu-IN', 'he-IL', 'hi-IN', 'hu-HU', 'id-ID', 'is-IS',
  'it-IT', 'ja-JP', 'kn-IN', 'ko-KR', 'lv-LV', 'ml-IN', 'mr-IN', 'ms-MY', 'nb-NO', 'nl-BE', 'nl-NL', 'pa-IN', 'pl-PL', 'pt-BR',
  'pt-PT', 'ro-RO', 'ru-RU', 'sk-SK', 'sr-RS', 'sv-SE', 'ta-IN', 'te-IN', 'th-TH', 'tr-TR', 'uk-UA', 'vi-VN', 'yue-HK',
]);

/** The language code used for a locale without (or with an unsupported) region. */
const LANGUAGE_DEFAULTS: Record<string, string> = {
  en: 'en-US', fr: 'fr-FR', de: 'de-DE', es: 'es-ES', it: 'it-IT', pt: 'pt-BR', nl: 'nl-NL', zh: 'cmn-CN', cmn: 'cmn-CN', yue: 'yue-HK',
  ar: 'ar-XA', nb: 'nb-NO', no: 'nb-NO', nn: 'nb-NO', he: 'he-IL', iw: 'he-IL', fil: 'fil-PH', tl: 'fil-PH', id: 'id-ID', in: 'id-ID',
};
for (const language of SAY_LANGUAGES) {
  const prefix = language.split('-')[0];
  LANGUAGE_DEFAULTS[prefix] ??= language;
}

/** Regions that have a nearer voice than the language default. */
const ALIASES: Record<string, string> = {
  'zh-CN': 'cmn-CN', 'zh-SG': 'cmn-CN', 'zh-Hans': 'cmn-CN', 'zh-TW': 'cmn-TW', 'zh-Hant': 'cmn-TW', 'zh-HK': 'yue-HK', 'zh-MO': 'yue-HK',
  'en-IE': 'en-GB', 'en-NZ': 'en-AU', 'en-ZA': 'en-GB', 'en-CA': 'en-US', 'fr-BE': 'fr-FR', 'fr-CH': 'fr-FR', 'de-AT': 'de-DE', 'de-CH': 'de-DE',
};

/**
 * The Twilio language for a BCP 47 locale (`fr`, `fr-CA`, `pt_BR`, `zh-Hant-TW`), or undefined
 * when Twilio has no voice for the language at all. Latin-American Spanish uses es-US.
 */
export function sayLanguage(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  const parts = locale.replace(/_/g, '-').split('-').filter(Boolean);
  const language = parts[0]?.toLowerCase();
  if (!language) return undefined;
  const region = parts.slice(1).find((p) => /^([A-Za-z]{2}|\d{3})$/.test(p))?.toUpperCase();
  const script = parts.slice(1).find((p) => /^[A-Za-z]{4}$/.test(p));
  if (region && SAY_LANGUAGES.has(`${language}-${region}`)) return `${language}-${region}`;
  if (region && ALIASES[`${language}-${region}`]) return ALIASES[`${language}-${region}`];
  if (script) {
    const alias = ALIASES[`${language}-${script[0].toUpperCase()}${script.slice(1).toLowerCase()}`];
    if (alias) return alias;
  }
  if (language === 'es' && region && region !== 'ES') return 'es-US';
  return LANGUAGE_DEFAULTS[language];
}

export interface Prompts {
  /** Spoken after the message: how to acknowledge. */
  acknowledge: string;
  /** Spoken once "1" was pressed and the acknowledgement recorded. */
  acknowledged: string;
  /** Spoken when "1" was pressed but the message had been acknowledged already. */
  alreadyAcknowledged: string;
  /** Spoken when "1" was pressed but nothing could be acknowledged (the message is gone). */
  nothingToAcknowledge: string;
  /** Spoken when no key was pressed after the last repetition. */
  noInput: string;
  /** Spoken when another key was pressed. */
  invalidKey: string;
}

/** The adapter's own prompts; `prompts` in the configuration overrides or adds languages. */
export const BUILT_IN_PROMPTS: Record<string, Prompts> = {
  en: {
    acknowledge: 'Press 1 to acknowledge this message.',
    acknowledged: 'Thank you. Your acknowledgement has been recorded. Goodbye.',
    alreadyAcknowledged: 'This message was already acknowledged. Goodbye.',
    nothingToAcknowledge: 'There is nothing to acknowledge for this call. Goodbye.',
    noInput: 'We did not receive an answer. Goodbye.',
    invalidKey: 'Sorry, that key is not valid.',
  },
  fr: {
    acknowledge: 'Appuyez sur 1 pour confirmer la réception de ce message.',
    acknowledged: 'Merci. Votre confirmation a bien été enregistrée. Au revoir.',
    alreadyAcknowledged: "Ce message a déjà été confirmé. Au revoir.",
    nothingToAcknowledge: "Il n'y a rien à confirmer pour cet appel. Au revoir.",
    noInput: "Nous n'avons pas reçu de réponse. Au revoir.",
    invalidKey: "Désolé, cette touche n'est pas valide.",
  },
  de: {
    acknowledge: 'Drücken Sie die 1, um diese Nachricht zu bestätigen.',
    acknowledged: 'Vielen Dank. Ihre Bestätigung wurde gespeichert. Auf Wiederhören.',
    alreadyAcknowledged: 'Diese Nachricht wurde bereits bestätigt. Auf Wiederhören.',
    nothingToAcknowledge: 'Für diesen Anruf gibt es nichts zu bestätigen. Auf Wiederhören.',
    noInput: 'Wir haben keine Antwort erhalten. Auf Wiederhören.',
    invalidKey: 'Diese Taste ist leider ungültig.',
  },
  es: {
    acknowledge: 'Pulse 1 para confirmar este mensaje.',
    acknowledged: 'Gracias. Su confirmación ha quedado registrada. Adiós.',
    alreadyAcknowledged: 'Este mensaje ya fue confirmado. Adiós.',
    nothingToAcknowledge: 'No hay nada que confirmar en esta llamada. Adiós.',
    noInput: 'No hemos recibido respuesta. Adiós.',
    invalidKey: 'Lo sentimos, esa tecla no es válida.',
  },
};

export interface SpeechOptions {
  voice?: string;
  voices?: Record<string, string>;
  prompts?: Record<string, Partial<Prompts>>;
  fallbackLanguage?: string;
}

export interface Speech {
  language: string;
  voice: string;
}

/** The voice for a Twilio language: configured per language tag, per language, globally, or Google's standard one. */
export function speechFor(language: string, options: SpeechOptions): Speech {
  const prefix = language.split('-')[0];
  const voices = options.voices ?? {};
  const voice = voices[language] ?? voices[prefix] ?? options.voice ?? `Google.${language}-Standard-A`;
  return { language, voice };
}

/**
 * The prompts for the message's language, with the language they are spoken in: a language
 * without prompts (built in or configured) gets the English ones in an English voice rather than
 * English words in a foreign voice.
 */
export function promptsFor(language: string, options: SpeechOptions): { prompts: Prompts; speech: Speech } {
  const prefix = language.split('-')[0];
  const configured = { ...options.prompts?.[prefix], ...options.prompts?.[language] };
  const builtIn = BUILT_IN_PROMPTS[prefix];
  if (builtIn || Object.keys(configured).length > 0) {
    const base = builtIn ?? BUILT_IN_PROMPTS.en;
    return { prompts: { ...base, ...configured }, speech: speechFor(language, options) };
  }
  return { prompts: { ...BUILT_IN_PROMPTS.en, ...options.prompts?.en }, speech: speechFor('en-US', options) };
}

type SayAttributes = VoiceResponse.SayAttributes;

// Twilio's SayLanguage/SayVoice unions are narrower than the configurable strings: Twilio itself judges the pair.
const say = (node: { say(attributes: SayAttributes, message: string): unknown }, speech: Speech, text: string) =>
  node.say({ language: speech.language as SayAttributes['language'], voice: speech.voice as SayAttributes['voice'] }, text);

function gather(response: VoiceResponse, action: string, timeout: number) {
  return response.gather({ input: ['dtmf'], numDigits: 1, action, method: 'POST', timeout, actionOnEmptyResult: false });
}

/** The call: the message and the prompt inside `<Gather>` (a key can be pressed at any time), repeated, then goodbye. */
export function callTwiml(text: string, message: Speech, prompt: { prompts: Prompts; speech: Speech }, action: string, repeat: number, timeout: number): string {
  const response = new (twilioSdk().twiml.VoiceResponse)();
  for (let i = 0; i < repeat; i++) {
    const node = gather(response, action, timeout);
    say(node, message, text);
    say(node, prompt.speech, prompt.prompts.acknowledge);
  }
  say(response, prompt.speech, prompt.prompts.noInput);
  response.hangup();
  return response.toString();
}

/** The answer to "1": thanks, then hang up. */
export function acknowledgedTwiml(prompt: { prompts: Prompts; speech: Speech }, outcome: 'acknowledged' | 'alreadyAcknowledged' | 'nothingToAcknowledge' = 'acknowledged'): string {
  const response = new (twilioSdk().twiml.VoiceResponse)();
  say(response, prompt.speech, prompt.prompts[outcome]);
  response.hangup();
  return response.toString();
}

/** The answer to another key (or none): say so, ask again once, then hang up. */
export function retryTwiml(prompt: { prompts: Prompts; speech: Speech }, action: string, timeout: number, invalid: boolean): string {
  const response = new (twilioSdk().twiml.VoiceResponse)();
  if (invalid) say(response, prompt.speech, prompt.prompts.invalidKey);
  say(gather(response, action, timeout), prompt.speech, prompt.prompts.acknowledge);
  say(response, prompt.speech, prompt.prompts.noInput);
  response.hangup();
  return response.toString();
}
