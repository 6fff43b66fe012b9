using System.Text;

namespace Wrapper.Simulator.OpenAI;

/// <summary>
/// Makes the simulated assistant answer: a sentence quoting the last user message, then lorem-ipsum filler
/// chosen from a hash of that message (the same prompt always gets the same answer), cut to a token budget.
/// </summary>
internal sealed class AnswerGenerator(TokenCounter tokens)
{
    private const int EchoMaxChars = 80;

    private static readonly string[] Filler =
    [
        "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
        "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam",
        "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo",
        "consequat", "duis", "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse", "cillum",
        "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non", "proident", "sunt",
        "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id", "est", "laborum",
    ];

    /// <summary>The answer to <paramref name="lastUserMessage"/>, at most <paramref name="maxTokens"/> tokens long.</summary>
    public (string Text, int Tokens) Generate(string? lastUserMessage, int maxTokens)
    {
        var echo = Echo(lastUserMessage);
        var seed = StableHash(echo);
        var text = new StringBuilder(maxTokens * 8 + 128);
        text.Append("This is a simulated answer to \"").Append(echo).Append("\".");

        // Filler words are about one token each; add until the budget is surely exceeded, then cut exactly.
        var wordsInSentence = 0;
        var sentenceLength = 6 + (int)(seed % 7);
        var batch = Math.Max(8, maxTokens);
        for (var i = 0; tokens.Count(text.ToString()) <= maxTokens; i++)
        {
            for (var j = 0; j < batch; j++)
            {
                var word = Filler[(int)((seed + (ulong)(i * batch + j) * 7) % (ulong)Filler.Length)];
                text.Append(' ');
                text.Append(wordsInSentence == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                if (++wordsInSentence == sentenceLength)
                {
                    text.Append('.');
                    wordsInSentence = 0;
                }
            }
        }

        return tokens.Truncate(text.ToString(), maxTokens);
    }

    private static string Echo(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "your prompt";
        }

        var collapsed = string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Replace('"', '\'');
        if (collapsed.Length <= EchoMaxChars)
        {
            return collapsed;
        }

        var cut = EchoMaxChars;
        if (char.IsHighSurrogate(collapsed[cut - 1]))
        {
            cut--;
        }

        return collapsed[..cut] + "…";
    }

    // FNV-1a: stable across processes, unlike string.GetHashCode.
    private static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
