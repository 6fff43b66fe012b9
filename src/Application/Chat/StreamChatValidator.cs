using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Chat;

/// <summary>A streamed conversation obeys exactly the rules of <see cref="CompleteChat"/>.</summary>
public sealed class StreamChatValidator : ConversationValidator<StreamChat>
{
    public StreamChatValidator(IOptions<ChatOptions> options)
        : base(options)
    {
    }
}
