using Microsoft.ML.Tokenizers;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Quotas;

/// <summary><see cref="IPromptTokenCounter"/> with the o200k encoding (gpt-4o, gpt-4o-mini) and OpenAI's accounting for
/// chat prompts: 3 tokens per message besides its role and text, and 3 that prime the reply — what the simulator bills.</summary>
/// <remarks>The encoding (about 60 MB once loaded) is loaded once per process, on a background thread at start when a
/// token limit is configured (<see cref="PreloadAsync"/>, from <c>QuotaStartupReport</c>), else on first use; a request
/// that comes while it is loading waits for it. Without a token limit it is never loaded
/// (<see cref="Application.Quotas.QuotaBehaviour{TRequest,TResponse}"/> counts no tokens then).</remarks>
public sealed class O200kPromptTokenCounter : IPromptTokenCounter
{
    // The tokenizer is thread-safe.
    private static readonly Lazy<Tokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"), LazyThreadSafetyMode.ExecutionAndPublication);

    private const int TokensPerMessage = 3;
    private const int ReplyPrimingTokens = 3;

    // Every role name is one token in o200k.
    private const int RoleTokens = 1;

    /// <summary>True once the encoding is in memory.</summary>
    public static bool Loaded => Shared.IsValueCreated;

    /// <summary>Loads the encoding on a background thread, so that no request waits for it (unless one comes first).</summary>
    public static Task PreloadAsync() => Shared.IsValueCreated ? Task.CompletedTask : Task.Run(() => _ = Shared.Value);

    public int CountPrompt(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tokenizer = Shared.Value;
        var total = ReplyPrimingTokens;
        for (var i = 0; i < messages.Count; i++)
        {
            var content = messages[i].Content;
            total += TokensPerMessage + RoleTokens + (content.Length == 0 ? 0 : tokenizer.CountTokens(content));
        }

        return total;
    }
}
