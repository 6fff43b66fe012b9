using Wrapper.Api.Contracts;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Streaming;

/// <summary>
/// A streamed chat answer as server-sent events (<see cref="ServerSentEventStream{TUpdate}"/>):
/// <c>event: delta</c> / <c>data: {"content":"..."}</c>, then <c>event: done</c> / <c>data: {"model","finish_reason","usage"}</c>,
/// or <c>event: error</c> on a failure after the first event.
/// </summary>
public sealed class ChatEventStream : ServerSentEventStream<ChatStreamUpdate>
{
    public ChatEventStream(IAsyncEnumerable<ChatStreamUpdate> updates)
        : base(updates)
    {
    }

    protected override string StreamName => "chat";

    protected override UpstreamException EndedBeforeAnyUpdate() =>
        new(UpstreamFailure.BadResponse, "Azure OpenAI ended the answer without any content or completion.");

    protected override bool IsFinal(ChatStreamUpdate update) => update is ChatStreamCompleted;

    protected override void Write(ServerSentEventWriter events, ChatStreamUpdate update)
    {
        switch (update)
        {
            case ChatStreamDelta delta:
                events.WriteDelta(delta.Content);
                break;
            case ChatStreamCompleted done:
                events.Write(ServerSentEventWriter.DoneEvent, new ChatStreamDoneEvent
                {
                    Model = done.Model,
                    FinishReason = done.FinishReason,
                    Usage = new UsageResponse
                    {
                        PromptTokens = done.Usage.PromptTokens,
                        CompletionTokens = done.Usage.CompletionTokens,
                        TotalTokens = done.Usage.TotalTokens,
                    },
                });
                break;
            default:
                throw new InvalidOperationException($"Unknown stream update {update?.GetType().Name}.");
        }
    }
}
