using Microsoft.ML.Tokenizers;

namespace Wrapper.Simulator.OpenAI;

/// <summary>Counts and cuts text in tokens of the o200k encoding (gpt-4o, gpt-4o-mini).</summary>
internal sealed class TokenCounter
{
    // Loading the encoding takes a moment; every simulator in the process shares one (it is thread-safe).
    private static readonly Lazy<Tokenizer> SharedTokenizer =
        new(() => TiktokenTokenizer.CreateForModel("gpt-4o"), LazyThreadSafetyMode.ExecutionAndPublication);

    // OpenAI's accounting for chat prompts: every message costs 3 tokens besides its text, a name 1 more,
    // and the reply is primed with 3 tokens.
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPrimingTokens = 3;

    private readonly Tokenizer _tokenizer = SharedTokenizer.Value;

    public int Count(string text) => text.Length == 0 ? 0 : _tokenizer.CountTokens(text);

    public int CountPrompt(IReadOnlyList<PromptMessage> messages)
    {
        var total = ReplyPrimingTokens;
        foreach (var message in messages)
        {
            total += TokensPerMessage + Count(message.Role) + Count(message.Text);
            if (message.Name is { Length: > 0 } name)
            {
                total += TokensPerName + Count(name);
            }
        }

        return total;
    }

    /// <summary>The longest prefix of <paramref name="text"/> of at most <paramref name="maxTokens"/> tokens.</summary>
    public (string Text, int Tokens) Truncate(string text, int maxTokens)
    {
        var count = Count(text);
        if (count <= maxTokens)
        {
            return (text, count);
        }

        if (maxTokens <= 0)
        {
            return (string.Empty, 0);
        }

        var index = _tokenizer.GetIndexByTokenCount(text, maxTokens, out _, out _);
        var cut = text[..index];
        count = Count(cut);

        // A prefix can encode differently from the same characters inside the whole text; shorten until it fits.
        while (count > maxTokens && cut.Length > 0)
        {
            var drop = cut.Length > 1 && char.IsLowSurrogate(cut[^1]) ? 2 : 1;
            cut = cut[..^drop];
            count = Count(cut);
        }

        return (cut, count);
    }
}
