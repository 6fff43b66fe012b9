using Wrapper.Api.Contracts;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Api.Streaming;

/// <summary>
/// A streamed agent answer (<c>POST /bing-grounding</c>, <c>POST /agents/{name}</c> with <c>stream=true</c>) as
/// server-sent events (<see cref="ServerSentEventStream{TUpdate}"/>): <c>event: delta</c> / <c>data: {"content":"..."}</c>
/// for each piece of text (citation markers already removed), then <c>event: done</c> with the whole answer, exactly the
/// JSON answer of the same request without <c>stream</c> (<see cref="AgentAnswerResponse"/>:
/// <c>{"content","citations",["thread_id"],["conversation_id"]}</c>); or <c>event: error</c> on a failure after the first
/// event, including a stream that ends without its answer.
/// </summary>
public sealed class AgentEventStream : ServerSentEventStream<AgentStreamUpdate>
{
    public AgentEventStream(IAsyncEnumerable<AgentStreamUpdate> updates)
        : base(updates)
    {
    }

    protected override string StreamName => "agent";

    protected override UpstreamException EndedBeforeAnyUpdate() =>
        new(UpstreamFailure.BadResponse, "The Agent Service ended the answer without any content or completion.");

    protected override UpstreamException EndedBeforeFinalUpdate() =>
        new(UpstreamFailure.BadResponse, "The Agent Service ended the answer before it was complete.");

    protected override bool IsFinal(AgentStreamUpdate update) => update is AgentAnswerCompleted;

    protected override void Write(ServerSentEventWriter events, AgentStreamUpdate update)
    {
        switch (update)
        {
            case AgentTextDelta { Text.Length: 0 }:
                break;
            case AgentTextDelta delta:
                events.WriteDelta(delta.Text);
                break;
            case AgentAnswerCompleted completed:
                events.Write(ServerSentEventWriter.DoneEvent, AgentAnswerResponse.From(completed.Answer));
                break;
            default:
                throw new InvalidOperationException($"Unknown stream update {update?.GetType().Name}.");
        }
    }
}
