using Wrapper.Application.Chat;
using Wrapper.Domain.Chat;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: a chat-completion model (Azure OpenAI).</summary>
/// <remarks>
/// Implementations throw <see cref="Exceptions.UpstreamException"/> for every upstream failure; nothing else
/// (no SDK or HTTP exception) may escape, except <see cref="OperationCanceledException"/> when the caller's
/// token is cancelled.
/// </remarks>
public interface IChatCompletionService
{
    /// <summary>Completes the conversation. The messages already include any system prompt.</summary>
    Task<ChatCompletion> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>Completes the conversation as a stream: <see cref="ChatStreamDelta"/>s, then one
    /// <see cref="ChatStreamCompleted"/> with the finish reason and usage. Nothing is sent before the enumeration
    /// starts. A failure before the first update (when the implementation may still try another upstream) surfaces
    /// from the first <c>MoveNextAsync</c>; a failure after it ends the enumeration with an
    /// <see cref="Exceptions.UpstreamException"/>, never silently.</summary>
    IAsyncEnumerable<ChatStreamUpdate> StreamAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);
}
