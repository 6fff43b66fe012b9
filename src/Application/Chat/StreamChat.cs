using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Chat;

/// <summary>Continue a conversation, receiving the answer piece by piece. MediatR 5 has no stream requests, so this
/// is a normal request whose response is the stream: the pipeline (logging, validation) runs when it is sent, and the
/// model is called when the caller starts enumerating. Failures before the first update surface from the first
/// <c>MoveNextAsync</c> (the caller has written nothing yet); later ones end the enumeration with an
/// <see cref="Common.Exceptions.UpstreamException"/>.</summary>
public sealed record StreamChat(IReadOnlyList<ChatMessageInput>? Messages) : IRequest<IAsyncEnumerable<ChatStreamUpdate>>, IConversationRequest,
    Quotas.IMeteredRequest
{
    public IReadOnlyList<ChatMessage> Prompt(ChatOptions options) => Conversation.ToMessages(Messages, options.SystemPrompt);
}

public sealed class StreamChatHandler : IRequestHandler<StreamChat, IAsyncEnumerable<ChatStreamUpdate>>
{
    private readonly IChatCompletionService _chat;
    private readonly IOptions<ChatOptions> _options;

    public StreamChatHandler(IChatCompletionService chat, IOptions<ChatOptions> options)
    {
        _chat = chat;
        _options = options;
    }

    public Task<IAsyncEnumerable<ChatStreamUpdate>> Handle(StreamChat request, CancellationToken cancellationToken) =>
        Task.FromResult(_chat.StreamAsync(request.Prompt(_options.Value), cancellationToken));
}
