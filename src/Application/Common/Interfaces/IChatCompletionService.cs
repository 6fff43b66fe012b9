using Wrapper.Domain.Chat;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: a chat-completion model (Azure OpenAI in production, the simulator locally).</summary>
/// <remarks>
/// Implementations throw <see cref="Exceptions.UpstreamException"/> for every upstream failure; nothing else
/// (no SDK or HTTP exception) may escape, except <see cref="OperationCanceledException"/> when the caller's
/// token is cancelled.
/// </remarks>
public interface IChatCompletionService
{
    /// <summary>Completes the conversation. The messages already include any system prompt.</summary>
    Task<ChatCompletion> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);
}
