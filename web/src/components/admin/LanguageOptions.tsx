// Suggestions for the language fields (<input list="language-options">); any tag may be typed.
const tags = ["nb", "nb-NO", "nn-NO", "en", "en-GB", "sv-SE", "da-DK", "de-DE", "fi-FI"];

export function LanguageOptions() {
  return (
    <datalist id="language-options">
      {tags.map((tag) => (
        <option key={tag} value={tag} />
      ))}
    </datalist>
  );
}
