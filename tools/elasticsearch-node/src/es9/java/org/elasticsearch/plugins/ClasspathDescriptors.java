package org.elasticsearch.plugins;

import java.util.List;

import org.elasticsearch.Build;

/** The descriptor of a class-path plugin, in the shape of Elasticsearch 9.x (12 fields and a
 * deployment target). */
final class ClasspathDescriptors {
    static PluginDescriptor of(Class<? extends Plugin> c) {
        return new PluginDescriptor(
            c.getName(),
            "loaded from the class path by sgcache's elasticsearch-node launcher",
            "NA",
            Build.current().version(),
            Integer.toString(Runtime.version().feature()),
            c.getName(),
            null,
            List.of(),
            false,
            false,
            false,
            false,
            PluginDescriptor.DeploymentTarget.ALL
        );
    }

    private ClasspathDescriptors() {}
}
