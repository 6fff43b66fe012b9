using Microsoft.ML.Tokenizers;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.Quotas;

/// <summary><see cref="IPromptTokenCounter"/> with the o200k encoding (gpt-4o, gpt-4o-mini) and OpenAI's accounting for
/// chat prompts: 3 tokens per message besides its role and text, and 3 that prime the reply — what the simulator bills.</summary>
public sealed class O200kPromptTokenCounter : IPromptTokenCounter
{
    // Loading the encoding takes a moment: one per process, loaded on first use; the tokenizer is thread-safe.
    private static readonly Lazy<Tokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"), LazyThreadSafetyMode.ExecutionAndPublication);

    private const int TokensPerMessage = 3;
    private const int ReplyPrimingTokens = 3;

    // Every role name is one token in o200k.
    private const int RoleTokens = 1;

    public int CountPrompt(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tokenizer = Shared.Value;
        var total = ReplyPrimingTokens;
        foreach (var message in messages)
        {
            total += TokensPerMessage + RoleTokens + (message.Content.Length == 0 ? 0 : tokenizer.CountTokens(message.Content));
        }

        return total;
    }
}
